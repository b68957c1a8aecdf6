/* Calls a host function with floating-point parameters, which calls from
   COFF x86-64 code to the host cannot pass: the link is refused. */
double pow(double x, double y);

int main(int argc, char **argv) {
  (void)argv;
  return (int)pow(argc + 1.0, 3.0);
}
