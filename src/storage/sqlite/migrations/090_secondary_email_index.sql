-- search?email= on Leads and Contacts also searches Secondary_Email, which is not unique (no
-- record_keys): this index answers it without reading the module (core/email-index.ts has the key
-- rule). Partial: only records that have the field; the module test comes first, so rows of other
-- modules never parse their JSON for it.
CREATE INDEX records_secondary_email ON records
  (org_id, module, lower(replace(json_extract(data, '$.Secondary_Email'), char(8490), 'k')))
  WHERE module IN ('Leads', 'Contacts') AND json_extract(data, '$.Secondary_Email') IS NOT NULL;
