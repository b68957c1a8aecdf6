# A 768 MiB .bss that main touches one byte of: linking (with or without
# -noexec) and running it must not make those pages resident.
	.text
	.globl	main
main:
	leaq	huge(%rip), %rax
	movb	$1, 0x1000(%rax)
	xorl	%eax, %eax
	retq

	.bss
	.globl	huge
	.p2align	12
huge:
	.zero	0x30000000
