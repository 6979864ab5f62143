#include "config.h"

#include <stdio.h>

#include "proc.h"

bool ot_process_alive(pid_t pid)
{
	char path[64], state = 0;
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	/* the state follows the last ')' of the comm */
	n = fscanf(f, "%*d (%*[^)]) %c", &state);
	fclose(f);
	return n == 1 && state != 'Z' && state != 'X';
}
