int get_value(void) { return 42; }
int config_level = 7;
