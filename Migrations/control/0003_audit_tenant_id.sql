-- The audit log names its tenant by id (issue 14). A tenant created later with a deleted
-- tenant's slug is another tenant: it must not see the deleted one's records, which the log
-- keeps (a deletion, and the privacy requests the law asks to be able to prove).
ALTER TABLE rapport.audit_log ADD COLUMN tenant_id bigint;

-- Rows written before: the tenant that had the slug when the row was written is the one
-- that has it now, if it was created before the row.
UPDATE rapport.audit_log a SET tenant_id = t.id
FROM rapport.tenants t
WHERE a.tenant = t.slug AND a.at >= t.created_at;

CREATE INDEX audit_log_tenant_id ON rapport.audit_log (tenant_id, id);

-- A server of the previous version still running during an upgrade writes rows without
-- the id: they get the id of the tenant that has the slug then.
CREATE FUNCTION rapport.audit_log_tenant_id() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.tenant_id IS NULL AND NEW.tenant IS NOT NULL THEN
        SELECT id INTO NEW.tenant_id FROM rapport.tenants WHERE slug = NEW.tenant;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_tenant_id BEFORE INSERT ON rapport.audit_log
    FOR EACH ROW EXECUTE FUNCTION rapport.audit_log_tenant_id();
