/*
 * confdoc — build tool: copy a template from standard input to standard output, replacing
 * each line that is exactly one of these markers by text generated from config_keys[], the
 * table the config parser uses (index/config.c), so the man pages and the shell completion
 * list every key and cannot drift from it:
 *
 *   @CONFIG_KEYS@    roff, newsd.conf(5): one .TP entry per key with its type, default,
 *                    bounds or choices and its comment
 *   @CONFIG_FLAGS@   roff, newsd(8): one .TP entry per key as a command-line flag
 *   @CONFIG_BASH@    bash, for completion/newsd.bash.in: the variable _newsd_flags and the
 *                    function _newsd_flag_values FLAG (the words a flag's value may be, or
 *                    "@file" / "@dir")
 *
 * usage: confdoc < TEMPLATE > OUT; exits 1 on a read or write error.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"

/* The command-line spelling of a key: --max-body-bytes. dash is "\\-" for roff, "-" for bash. */
static void put_flag(const char *name, const char *dash)
{
	fputs(dash, stdout);
	fputs(dash, stdout);
	for (; *name; name++) {
		if (*name == '_')
			fputs(dash, stdout);
		else
			putchar(*name);
	}
}

/* One line of text for roff: backslashes escaped, and a leading control character ('.' or
 * '\'') made plain with \&. */
static void put_roff(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\e", stdout);
		else
			putchar(*s);
	}
}

/* The kind of value a key takes, in italics, or its choices in bold separated by " | ". */
static void put_value_kind(const struct config_key *k)
{
	int i;

	if (k->choices) {
		for (i = 0; k->choices[i]; i++)
			printf("%s\\fB%s\\fR", i ? " | " : "", k->choices[i]);
		return;
	}
	switch (k->type) {
	case CONFIG_STRING:
		fputs("\\fIstring\\fR", stdout);
		break;
	case CONFIG_INT:
	case CONFIG_INT64:
		fputs("\\fIinteger\\fR", stdout);
		break;
	case CONFIG_DOUBLE:
		fputs("\\fInumber\\fR", stdout);
		break;
	case CONFIG_BOOL:
		fputs("\\fByes\\fR | \\fBno\\fR", stdout);
		break;
	}
}

/* "Default: 30; from 1 to 3600." — the bounds only for numbers. */
static void put_default(const struct config_key *k)
{
	if (k->def[0] == '\0')
		fputs("Default: empty", stdout);
	else
		printf("Default: \\fB%s\\fR", k->def);
	if (k->type == CONFIG_INT || k->type == CONFIG_INT64)
		printf("; from %.0f to %.0f", k->min, k->max);
	else if (k->type == CONFIG_DOUBLE)
		printf("; from %g to %g", k->min, k->max);
	fputs(".\n", stdout);
}

static void config_keys_roff(void)
{
	const struct config_key *k;

	for (k = config_keys; k->name; k++) {
		printf(".TP\n\\fB%s\\fR = ", k->name);
		put_value_kind(k);
		putchar('\n');
		put_roff(k->comment);
		putchar('\n');
		put_default(k);
	}
}

static void config_flags_roff(void)
{
	const struct config_key *k;

	for (k = config_keys; k->name; k++) {
		fputs(".TP\n\\fB", stdout);
		put_flag(k->name, "\\-");
		fputs("\\fR ", stdout);
		put_value_kind(k);
		putchar('\n');
		put_roff(k->comment);
		putchar('\n');
		put_default(k);
	}
}

static int has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static void config_bash(void)
{
	const struct config_key *k;
	int i;

	fputs("_newsd_flags='", stdout);
	for (k = config_keys; k->name; k++) {
		if (k != config_keys)
			putchar(' ');
		put_flag(k->name, "-");
	}
	fputs("'\n_newsd_flag_values()\n{\n\tcase $1 in\n", stdout);
	for (k = config_keys; k->name; k++) {
		if (k->choices == NULL && k->type != CONFIG_BOOL && strcmp(k->name, "db") != 0 &&
		    !has_suffix(k->name, "_file") && !has_suffix(k->name, "_dir"))
			continue;
		putchar('\t');
		put_flag(k->name, "-");
		fputs(") echo '", stdout);
		if (k->choices)
			for (i = 0; k->choices[i]; i++)
				printf("%s%s", i ? " " : "", k->choices[i]);
		else if (k->type == CONFIG_BOOL)
			fputs("yes no", stdout);
		else
			fputs(has_suffix(k->name, "_dir") ? "@dir" : "@file", stdout);
		fputs("' ;;\n", stdout);
	}
	fputs("\tesac\n}\n", stdout);
}

int main(void)
{
	char line[4096];

	while (fgets(line, sizeof(line), stdin)) {
		if (strcmp(line, "@CONFIG_KEYS@\n") == 0)
			config_keys_roff();
		else if (strcmp(line, "@CONFIG_FLAGS@\n") == 0)
			config_flags_roff();
		else if (strcmp(line, "@CONFIG_BASH@\n") == 0)
			config_bash();
		else
			fputs(line, stdout);
	}
	if (ferror(stdin) || fflush(stdout) != 0 || ferror(stdout)) {
		perror("confdoc");
		return 1;
	}
	return 0;
}
