"""Blob storage for documents and images (`blobs.put/get/delete/exists`)."""
