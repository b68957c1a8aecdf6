/* An archive member nothing needs: loading it would fail the link, since
   nothing defines `missing_everywhere`. */
int missing_everywhere(void);
int unused(void) { return missing_everywhere(); }
