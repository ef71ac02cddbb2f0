"""CMS SignedData (RFC 5652 §5) verification for SOL004 package signatures.

The ``cryptography`` library signs CMS/PKCS#7 but does not verify it, so the SignedData structure
is read here with :mod:`netorch.tosca.sol004.der` and each SignerInfo is checked with
``cryptography``'s primitives:

* with signed attributes (RFC 5652 §5.4), the ``message-digest`` attribute must equal the digest
  of the content and ``content-type`` the encapsulated content type; the signature covers the
  DER of the attributes re-tagged as a SET OF;
* without them, the signature covers the content itself (verified pre-hashed, so a multi-gigabyte
  artifact is streamed, never loaded).

Signature algorithms: RSA PKCS#1 v1.5, RSASSA-PSS (with MGF1 on the same hash) and ECDSA, with
SHA-224/256/384/512.  SHA-1 and MD5 are refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

from netorch.tosca.sol004 import der
from netorch.tosca.sol004.trust import checked

OID_SIGNED_DATA = "1.2.840.113549.1.7.2"
OID_DATA = "1.2.840.113549.1.7.1"
OID_ATTR_CONTENT_TYPE = "1.2.840.113549.1.9.3"
OID_ATTR_MESSAGE_DIGEST = "1.2.840.113549.1.9.4"

_DIGESTS = {
    "2.16.840.1.101.3.4.2.4": "sha224",
    "2.16.840.1.101.3.4.2.1": "sha256",
    "2.16.840.1.101.3.4.2.2": "sha384",
    "2.16.840.1.101.3.4.2.3": "sha512",
}
_WEAK_DIGESTS = {"1.3.14.3.2.26": "SHA-1", "1.2.840.113549.2.5": "MD5"}
_RSA_PKCS1 = "1.2.840.113549.1.1.1"
_RSA_WITH = {
    "1.2.840.113549.1.1.14": "sha224",
    "1.2.840.113549.1.1.11": "sha256",
    "1.2.840.113549.1.1.12": "sha384",
    "1.2.840.113549.1.1.13": "sha512",
}
_RSA_PSS = "1.2.840.113549.1.1.10"
_MGF1 = "1.2.840.113549.1.1.8"
_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
_ECDSA_WITH = {
    "1.2.840.10045.4.3.1": "sha224",
    "1.2.840.10045.4.3.2": "sha256",
    "1.2.840.10045.4.3.3": "sha384",
    "1.2.840.10045.4.3.4": "sha512",
}
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha224": hashes.SHA224(), "sha256": hashes.SHA256(), "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}
_PEM = re.compile(r"-----BEGIN (CMS|PKCS7)-----(.*?)-----END \1-----", re.DOTALL)
_CHUNK = 1024 * 1024
MAX_SIGNATURE_BYTES = 1024 * 1024
"""A CMS signature with a few certificates is a few kilobytes; anything this big is refused."""


class CmsError(ValueError):
    """The signature is not a CMS SignedData netorch can verify."""


@dataclass(frozen=True, slots=True)
class SignerInfo:
    """One signer (RFC 5652 §5.3)."""

    issuer: bytes | None
    """DER of the issuer Name (IssuerAndSerialNumber form)."""
    serial: int | None
    subject_key_id: bytes | None
    """SubjectKeyIdentifier form."""
    digest: str
    """hashlib name of the digest algorithm."""
    signed_attrs: bytes | None
    """DER of the signed attributes as a SET OF (what the signature covers), if present."""
    message_digest: bytes | None
    content_type: str | None
    signature_algorithm: str
    signature_parameters: der.Element | None
    signature: bytes

    def describe(self) -> str:
        if self.serial is not None:
            return f"serial number {self.serial:#x}"
        return f"subject key identifier {(self.subject_key_id or b'').hex()}"


@dataclass(frozen=True, slots=True)
class SignedData:
    content_type: str
    content: bytes | None
    """The encapsulated content, None for a detached signature."""
    certificates: tuple[x509.Certificate, ...]
    signers: tuple[SignerInfo, ...]


def decode(data: bytes) -> bytes:
    """DER bytes of a CMS signature given as PEM (``CMS`` or ``PKCS7`` label) or DER."""
    if len(data) > MAX_SIGNATURE_BYTES:
        raise CmsError(f"the signature is larger than {MAX_SIGNATURE_BYTES} bytes")
    if data.lstrip()[:1] == b"-":
        match = _PEM.search(data.decode("ascii", "replace"))
        if match is None:
            raise CmsError("no '-----BEGIN CMS-----' ... '-----END CMS-----' block")
        try:
            return base64.b64decode("".join(match.group(2).split()), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise CmsError(f"the PEM block is not valid base64: {exc}") from exc
    return data


def parse(data: bytes) -> SignedData:
    """Read a ContentInfo holding SignedData (PEM or DER); raises :class:`CmsError`."""
    try:
        return _parse(decode(data))
    except der.DerError as exc:
        raise CmsError(f"malformed CMS structure: {exc}") from exc


def _parse(data: bytes) -> SignedData:
    info = der.parse(data).expect(der.SEQUENCE, "ContentInfo").children()
    if len(info) != 2 or der.oid(info[0]) != OID_SIGNED_DATA:
        raise CmsError("not a CMS SignedData (RFC 5652 §5.1)")
    wrapper = info[1].expect(der.context(0), "ContentInfo.content").children()
    if len(wrapper) != 1:
        raise CmsError("malformed ContentInfo content")
    parts = wrapper[0].expect(der.SEQUENCE, "SignedData").children()
    if len(parts) < 4:
        raise CmsError("SignedData is incomplete")
    der.integer(parts[0])
    parts[1].expect(der.SET, "digestAlgorithms")
    encap = parts[2].expect(der.SEQUENCE, "encapContentInfo").children()
    if not encap:
        raise CmsError("encapContentInfo is empty")
    content_type = der.oid(encap[0])
    content: bytes | None = None
    if len(encap) > 1:
        inner = encap[1].expect(der.context(0), "eContent").children()
        if len(inner) != 1:
            raise CmsError("malformed eContent")
        content = der.octets(inner[0])
    certificates: list[x509.Certificate] = []
    rest = parts[3:]
    if rest and rest[0].tag == der.context(0):
        for choice in rest[0].children():
            if choice.tag == der.SEQUENCE:
                try:
                    certificates.append(checked(x509.load_der_x509_certificate(choice.raw)))
                except (ValueError, x509.InvalidVersion) as exc:
                    raise CmsError(f"a certificate in the signature is malformed: {exc}") \
                        from exc
        rest = rest[1:]
    if rest and rest[0].tag == der.context(1):
        rest = rest[1:]
    if len(rest) != 1:
        raise CmsError("SignedData has no signerInfos")
    signers = tuple(_signer(e) for e in rest[0].expect(der.SET, "signerInfos").children())
    if not signers:
        raise CmsError("the signature has no signer")
    return SignedData(content_type, content, tuple(certificates), signers)


def _algorithm(element: der.Element) -> tuple[str, der.Element | None]:
    parts = element.expect(der.SEQUENCE, "AlgorithmIdentifier").children()
    if not parts:
        raise CmsError("empty AlgorithmIdentifier")
    params = parts[1] if len(parts) > 1 and parts[1].tag != der.NULL else None
    return der.oid(parts[0]), params


def _digest_name(oid: str) -> str:
    if oid in _WEAK_DIGESTS:
        raise CmsError(f"the digest algorithm {_WEAK_DIGESTS[oid]} is too weak")
    if oid not in _DIGESTS:
        raise CmsError(f"unsupported digest algorithm {oid}")
    return _DIGESTS[oid]


def _signer(element: der.Element) -> SignerInfo:
    parts = element.expect(der.SEQUENCE, "SignerInfo").children()
    if len(parts) < 5:
        raise CmsError("SignerInfo is incomplete")
    der.integer(parts[0])
    sid = parts[1]
    issuer: bytes | None = None
    serial: int | None = None
    ski: bytes | None = None
    if sid.tag == der.SEQUENCE:
        ids = sid.children()
        if len(ids) != 2:
            raise CmsError("malformed IssuerAndSerialNumber")
        issuer, serial = ids[0].expect(der.SEQUENCE, "issuer").raw, der.integer(ids[1])
    elif sid.tag == der.context(0, constructed=False):
        ski = sid.content
    else:
        raise CmsError("unsupported SignerIdentifier")
    digest = _digest_name(_algorithm(parts[2])[0])
    index = 3
    signed_attrs: bytes | None = None
    message_digest: bytes | None = None
    content_type: str | None = None
    if parts[index].tag == der.context(0):
        attrs = parts[index]
        # RFC 5652 §5.4: the signature covers the attributes' DER with an explicit SET OF tag
        signed_attrs = bytes([der.SET]) + attrs.raw[1:]
        for attribute in attrs.children():
            pair = attribute.expect(der.SEQUENCE, "Attribute").children()
            if len(pair) != 2:
                raise CmsError("malformed signed attribute")
            kind, values = der.oid(pair[0]), pair[1].expect(der.SET, "attrValues").children()
            if kind == OID_ATTR_MESSAGE_DIGEST:
                if len(values) != 1 or message_digest is not None:
                    raise CmsError("the message-digest attribute must have exactly one value")
                message_digest = der.octets(values[0])
            elif kind == OID_ATTR_CONTENT_TYPE:
                if len(values) != 1 or content_type is not None:
                    raise CmsError("the content-type attribute must have exactly one value")
                content_type = der.oid(values[0])
        if message_digest is None or content_type is None:
            raise CmsError("signed attributes lack message-digest or content-type "
                           "(RFC 5652 §5.3)")
        index += 1
    if len(parts) < index + 2:
        raise CmsError("SignerInfo is incomplete")
    signature_algorithm, params = _algorithm(parts[index])
    signature = der.octets(parts[index + 1])
    return SignerInfo(issuer, serial, ski, digest, signed_attrs, message_digest, content_type,
                      signature_algorithm, params, signature)


def find_signer_certificate(signer: SignerInfo, candidates: Iterable[x509.Certificate]
                            ) -> x509.Certificate | None:
    """The certificate the SignerIdentifier names, among ``candidates``."""
    for cert in candidates:
        if signer.serial is not None:
            if cert.serial_number == signer.serial and \
                    cert.issuer.public_bytes() == signer.issuer:
                return cert
        elif signer.subject_key_id is not None:
            try:
                if _ski(cert) == signer.subject_key_id:
                    return cert
            except (ValueError, UnsupportedAlgorithm):
                continue
    return None


def _ski(cert: x509.Certificate) -> bytes:
    try:
        return cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest
    except x509.ExtensionNotFound:
        return x509.SubjectKeyIdentifier.from_public_key(cert.public_key()).digest


def digest_of(content: bytes | Path, name: str) -> bytes:
    """The ``name`` digest of bytes, or of a file read in chunks."""
    digest = hashlib.new(name)
    if isinstance(content, bytes):
        digest.update(content)
    else:
        with content.open("rb") as fh:
            for chunk in iter(lambda: fh.read(_CHUNK), b""):
                digest.update(chunk)
    return digest.digest()


def verify_signer(signed: SignedData, signer: SignerInfo, cert: x509.Certificate,
                  content: bytes | Path) -> None:
    """Check ``signer``'s signature over ``content`` (the detached content, or the
    encapsulated one); raises :class:`CmsError` or ``InvalidSignature``."""
    content_digest = digest_of(content, signer.digest)
    if signer.signed_attrs is not None:
        if signer.content_type != signed.content_type:
            raise CmsError("the content-type attribute does not match the signed content type")
        if signer.message_digest != content_digest:
            raise InvalidSignature("the content's digest differs from the signed one")
        _verify(cert, signer, signer.signed_attrs, prehashed=None)
    else:
        _verify(cert, signer, content_digest, prehashed=signer.digest)


def _signature_hash(signer: SignerInfo) -> str:
    oid = signer.signature_algorithm
    if oid in _RSA_WITH:
        return _RSA_WITH[oid]
    if oid in _ECDSA_WITH:
        return _ECDSA_WITH[oid]
    return signer.digest


def _verify(cert: x509.Certificate, signer: SignerInfo, data: bytes, prehashed: str | None
            ) -> None:
    try:
        key = cert.public_key()
    except (ValueError, UnsupportedAlgorithm) as exc:
        raise CmsError(f"the signer's certificate has an unusable key: {exc}") from exc
    oid = signer.signature_algorithm
    name = _signature_hash(signer)
    if prehashed is not None and prehashed != name:
        raise CmsError("the signature and digest algorithms differ; cannot verify without "
                       "signed attributes")
    algorithm: hashes.HashAlgorithm | utils.Prehashed = \
        utils.Prehashed(_HASHES[name]) if prehashed else _HASHES[name]
    try:
        if oid in (_RSA_PKCS1, *_RSA_WITH):
            if not isinstance(key, rsa.RSAPublicKey):
                raise CmsError("an RSA signature with a non-RSA certificate key")
            key.verify(signer.signature, data, padding.PKCS1v15(), algorithm)
        elif oid == _RSA_PSS:
            if not isinstance(key, rsa.RSAPublicKey):
                raise CmsError("an RSA-PSS signature with a non-RSA certificate key")
            pss_hash, salt = _pss_parameters(signer.signature_parameters)
            if pss_hash != name:
                raise CmsError("RSA-PSS hash differs from the digest algorithm")
            key.verify(signer.signature, data,
                       padding.PSS(padding.MGF1(_HASHES[pss_hash]), salt), algorithm)
        elif oid == _EC_PUBLIC_KEY or oid in _ECDSA_WITH:
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise CmsError("an ECDSA signature with a non-EC certificate key")
            key.verify(signer.signature, data, ec.ECDSA(algorithm))
        else:
            raise CmsError(f"unsupported signature algorithm {oid}")
    except UnsupportedAlgorithm as exc:
        raise CmsError(f"unsupported algorithm: {exc}") from exc
    except (ValueError, TypeError) as exc:
        raise CmsError(f"the signature cannot be checked: {exc}") from exc


def _pss_parameters(params: der.Element | None) -> tuple[str, int]:
    """(hash, salt length) of RSASSA-PSS-params (RFC 4055 §3.1); the SHA-1 defaults are
    refused."""
    if params is None:
        raise CmsError("RSA-PSS with default (SHA-1) parameters is refused")
    hash_name: str | None = None
    mgf_hash: str | None = None
    salt = 20
    try:
        for field in params.expect(der.SEQUENCE, "RSASSA-PSS-params").children():
            inner = field.children()
            if len(inner) != 1:
                raise CmsError("malformed RSA-PSS parameters")
            if field.tag == der.context(0):
                hash_name = _digest_name(_algorithm(inner[0])[0])
            elif field.tag == der.context(1):
                mgf, mgf_params = _algorithm(inner[0])
                if mgf != _MGF1 or mgf_params is None:
                    raise CmsError("RSA-PSS with a mask generation function other than MGF1")
                mgf_hash = _digest_name(_algorithm(mgf_params)[0])
            elif field.tag == der.context(2):
                salt = der.integer(inner[0])
    except der.DerError as exc:
        raise CmsError(f"malformed RSA-PSS parameters: {exc}") from exc
    if hash_name is None or mgf_hash != hash_name:
        raise CmsError("RSA-PSS must use the same SHA-2 hash for the message and MGF1")
    return hash_name, salt
