//! The sandbox's webhook **test** key pairs: throwaway keys generated once with OpenSSL 3 for
//! [`GhlSandbox`](super::GhlSandbox) deliveries, trusted only by
//! [`GhlSandbox::webhook_verifier`](super::GhlSandbox::webhook_verifier). They are public in
//! this repository, sign nothing real, and no HighLevel system trusts them: never use them
//! outside tests.
//!
//! ```sh
//! openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sandbox-test-rsa.key.pem
//! openssl genpkey -algorithm ed25519 -out sandbox-test-ed25519.key.pem
//! ```

/// RSA-2048 test private key (PKCS#8), signing the sandbox's `x-wh-signature`.
pub(crate) const SANDBOX_TEST_RSA_PRIVATE_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIIEvwIBADANBgkqhkiG9w0BAQEFAASCBKkwggSlAgEAAoIBAQDeiHGTyAwUErYv
biqvwhKAobj84uzgALOR8V6rF7ySy15c0MUGWXOYsk7aPslXQclcDbd2uYYW1EaW
ZWraTs4xY7S+sJ/ZZWnRFLrV0e0bAJ1mD2MUZFo6WTtZX9lc1AWD4d+WYRZsuKvh
QLljL4KxUB/DNIEJaiBocI/OMd0iUQpn2aCeo0cBxcwORjWLtbLvnkOuagQC9Axw
EvV5KS2zVIyRPY39hFrd8qdmcCxfU6dHbbXWgw3O4XLWxOnnFQzJfa/iKmIXJieo
/aSL30AFyoqERYvxtsZeKto6YZTov8CVeg+K7KmCpnhJKMFwraxgLsXXOI7uBl5d
raeoaPLzAgMBAAECggEABIFx7WWsUGZl7A/s1d3pJCCIiPyo160J05mTxFH/P3Ea
azWbtpH/fKTKQLqVx/cIwxRh4pJN/lMBK/DII70FzZxVEMucTs7LpsEm1BPfPWQw
dlO/1Darac/To8yvJsdXZk/sdwEiXcRfckVyjItL2iCNt0g6/0beR4NVQ+zYIrNN
BFO7ZNtJCo7kInLYdRwdWPCKHhKsfhvOgL35wsheemcngjr7AN5k/rhRlH1D/Egv
a1h5f6TeYUh/nDxyXK0RvW6ZtgYFHIlktROMOIDplAE6zN1DYWP1Ze1T56192H6B
Qz8LA203CLxedfqdfBD5qRRK1h473CznmvfNoquoAQKBgQD6jx+dr17TnLEc9K6y
RYRMyCxGetauFTiaoyEC2WEHRlXSOWJ5vLBeJtC+3SldwUxhmwalN0bIg3b2zxEp
1jO19Qaw/h1kmGYP6Ptpsv214Y2Z5OHus5xsR36HHkBgfsjRKMkR7Arg6oavoE6G
csckxgL2Odt2FFn3vKR70WWhgwKBgQDjXYViNCcEYHavdXeRynShEC/1cYTzNJGA
DGPHrIqVBDD7npP/pvAT6KDST0LojoKLk9TYHEIAm/4RV3xAkdAnHnuV3sCNdwNZ
5bi4HFCsy098TwRJinmOgmRBEFYON6Ie1Fl0gEdG1CzM8JFUqTUQkbebzjzRfdjx
3nmEklbd0QKBgQDAVBCOt8jwYnzJn0Bh816kmZry1uPnaL60ZLe4Oihyrxi9b/MZ
Qy+WdfESMS3Jm9EHszocpBufWtp8hWHFXXkAGP9z6Pui9iCR4eLqtcxuSp6pHLoY
wqI1s4N6MEx2RZvcgZQmP6vyDdQpB8J/DaezoJMxciP1tZWBxrnzmT6MBQKBgQCk
gzrL/+hrZlD6TAikWNVi5Q+OjQEh6NuOx2g7RkFP6aR3rBpyVRxJi30yL1++Xb9f
tyu+41NulXCUo7SoE9mFNK0/l9nDgmXOWkX6EaLeJI3y6Em13Jhv4TEhUuyxhNet
bwD7JwZr3YI9F6RQmc5nmsg72FJxUpnzCILsxeZMwQKBgQCzn6A/HLh7ZcAO94eY
b41p0GAAOQN48XCCVru003Mx6J+yQRCFN8k3sipd1hbx3HDE7SwAZkPo3x2hBenR
z3Wy1+wYQP0DD2VC7B+i/2fop1rJKb4IUhNRAamcoxnLUNkNy8xbi57CYEhpJIQx
CipwLMY5ZVAK9yeLci2E+R25Tg==
-----END PRIVATE KEY-----
";

/// Ed25519 test private key (PKCS#8), signing the sandbox's `x-ghl-signature`.
pub(crate) const SANDBOX_TEST_ED25519_PRIVATE_KEY_PEM: &str = "-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIGpw84tF3oqNIu9haHl2yS2/ECcWKNxVkfGZfnZlzmWV
-----END PRIVATE KEY-----
";
