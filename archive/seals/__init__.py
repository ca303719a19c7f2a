"""Electronic seals and signatures verified for real (issue 27): DER parsing, SM2/SM3 through OpenSSL 3,
OFD 电子印章 (GB/T 38540 V4 and GM/T 0031 V1 structures), certificates and chains, PDF signatures with pyHanko.
``archive.signatures`` is the entry point; these modules are its parts."""
