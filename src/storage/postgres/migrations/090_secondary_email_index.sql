-- search?email= on Leads and Contacts also searches Secondary_Email, which is not unique (no
-- record_keys): this index answers it without reading the module (core/email-index.ts has the key
-- rule; COLLATE "C" makes lower() fold A–Z only, as in SQLite). Partial: only records that have the field.
CREATE INDEX records_secondary_email ON records
  (org_id, module, lower(replace(data ->> 'Secondary_Email', chr(8490), 'k') COLLATE "C"))
  WHERE module IN ('Leads', 'Contacts') AND data ->> 'Secondary_Email' IS NOT NULL;
