-- Security events became auth events (auth_event, the outbox): refresh
-- reuse and anonymous merges are recorded there, with every other event.
DROP TABLE security_event;
