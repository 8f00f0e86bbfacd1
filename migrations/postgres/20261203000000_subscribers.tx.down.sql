DROP INDEX event_delivery_lease_idx;

--bun:split

ALTER TABLE event_delivery DROP COLUMN locked_by;

--bun:split

DROP TABLE subscriber;
