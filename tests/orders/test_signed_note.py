"""The note format interoperates: golang.org/x/mod/sumdb/note's published example verifies."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from orders.checkpoints import CheckpointError, Verifier, sign_note, verify_note

pytestmark = pytest.mark.unit

# The example of golang.org/x/mod/sumdb/note (note.go and note_test.go).
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann "
    "x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def go_private_key() -> Ed25519PrivateKey:
    seed = base64.b64decode(GO_SIGNER.split("+", 4)[4])[1:]
    return Ed25519PrivateKey.from_private_bytes(seed)


def test_the_go_example_note_verifies_with_its_verifier_key() -> None:
    assert verify_note(GO_NOTE, Verifier.parse(GO_VERIFIER)) == GO_TEXT


def test_signing_reproduces_the_go_example_byte_for_byte() -> None:
    key = go_private_key()

    assert sign_note(GO_TEXT, "PeterNeumann", key) == GO_NOTE
    assert str(Verifier.for_key("PeterNeumann", key.public_key())) == GO_VERIFIER


def test_a_changed_text_or_an_unknown_key_is_refused() -> None:
    verifier = Verifier.parse(GO_VERIFIER)

    with pytest.raises(CheckpointError, match="does not match its text"):
        verify_note(GO_NOTE.replace("cryptography", "cryptographY"), verifier)
    other = Verifier.for_key("PeterNeumann", Ed25519PrivateKey.generate().public_key())
    with pytest.raises(CheckpointError, match="no signature by the key PeterNeumann"):
        verify_note(GO_NOTE, other)
