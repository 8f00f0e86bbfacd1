-- Email verification: whether the customer's or user's email address was
-- proven by a verification link.
ALTER TABLE customer ADD COLUMN email_verified boolean NOT NULL DEFAULT false;

--bun:split

ALTER TABLE "user" ADD COLUMN email_verified boolean NOT NULL DEFAULT false;
