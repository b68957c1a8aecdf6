# A 64 GiB .bss: more than a session's 2 GiB, refused before any memory or
# address space is reserved for it.
	.text
	.globl	main
main:
	leaq	huge(%rip), %rax
	xorl	%eax, %eax
	retq

	.bss
	.globl	huge
	.p2align	12
huge:
	.zero	0x1000000000
