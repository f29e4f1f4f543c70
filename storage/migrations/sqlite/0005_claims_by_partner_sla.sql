-- A partner's breached claims, newest first, read from an index: without it
-- ListClaims(partner, sla_breached) walks every claim of the partner through claims_by_partner
-- and filters, so its cost grows with the partner's history rather than with the page.
CREATE INDEX IF NOT EXISTS claims_by_partner_sla ON claims (partner_id, sla_status, create_time, id);
