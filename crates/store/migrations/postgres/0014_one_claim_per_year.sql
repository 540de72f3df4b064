-- One application of a kind per organisation and year while it is open or approved (the
-- tax-credit claim, the annual report): a correction is the same application returned and
-- resubmitted, with its history. The service checks first and explains; this index makes a
-- race between two creations impossible. Kinds without a year are checked by the service.
CREATE UNIQUE INDEX applications_one_per_year_idx
    ON applications (applicant_org_id, kind, year)
    WHERE year IS NOT NULL AND status IN ('draft', 'in_review', 'returned', 'publicity', 'approved');
