ALTER TABLE invite DROP COLUMN revoked_at;

--bun:split

ALTER TABLE "user" DROP COLUMN deactivated_at;

--bun:split

DROP TABLE invite_role;

--bun:split

DROP TABLE user_role;

--bun:split

DROP TABLE role;
