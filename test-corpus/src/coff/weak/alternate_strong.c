/* Defines the `configured` alternate_main.c otherwise takes from its /alternatename. */
int configured(void) { return 9; }
