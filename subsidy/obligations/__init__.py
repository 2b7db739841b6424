"""After the money: obligations a paid applicant keeps, checked on every animals extract, and
the recovery of what was paid on a breached one."""
