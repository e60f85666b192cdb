"""Blob storage for files the portal keeps (claim photos, invoice PDFs): `storage.blobs`."""
