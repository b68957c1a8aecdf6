/* A jitlink_safe_point for executors where the host cannot provide one: the
   host frees replaced code itself (LiveObjects.safePoint). */
void jitlink_safe_point(void) {}
