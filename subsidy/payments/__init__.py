"""The money after the decision: tranches, payment runs in queue order, ISO 20022 documents
out and status reports back."""
