ALTER TABLE "user" DROP COLUMN email_verified;

--bun:split

ALTER TABLE customer DROP COLUMN email_verified;
