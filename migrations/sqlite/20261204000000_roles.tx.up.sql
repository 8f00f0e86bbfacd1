-- Roles: named sets of admin permissions. The four built-in roles (owner,
-- admin, support, viewer) are rows so that assignments can reference them,
-- but their permissions are the binary's (gatehouse.BuiltinRoles), so that a
-- permission a later release adds reaches owner and admin without a data
-- migration; permissions here is only read for custom roles.
CREATE TABLE role (
    id          text        PRIMARY KEY,
    name        text        NOT NULL,
    description text,
    permissions TEXT        NOT NULL DEFAULT '[]' CHECK (json_valid(permissions)),
    builtin     BOOLEAN     NOT NULL DEFAULT false,
    created_at  TIMESTAMP   NOT NULL,
    updated_at  TIMESTAMP   NOT NULL
);

--bun:split

CREATE UNIQUE INDEX role_name_key ON role (lower(name));

--bun:split

INSERT INTO role (id, name, description, builtin, created_at, updated_at) VALUES
    ('role_owner', 'owner', 'Everything, including managing roles.', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('role_admin', 'admin', 'Everything but managing roles.', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('role_support', 'support', 'Reads and manages customers, impersonates them, reads the audit trail.', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP),
    ('role_viewer', 'viewer', 'Reads customers and the audit trail.', true, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP);

--bun:split

-- A user's roles: its permissions are their union. Deleting a user row
-- (never done: users are soft-deleted) takes its assignments along; a role
-- still assigned cannot be deleted.
CREATE TABLE user_role (
    user_id    text        NOT NULL REFERENCES "user" (id) ON DELETE CASCADE,
    role_id    text        NOT NULL REFERENCES role (id),
    created_at TIMESTAMP   NOT NULL,
    PRIMARY KEY (user_id, role_id)
);

--bun:split

CREATE INDEX user_role_role_idx ON user_role (role_id);

--bun:split

-- The roles an invite grants when it is accepted.
CREATE TABLE invite_role (
    invite_id text NOT NULL REFERENCES invite (id) ON DELETE CASCADE,
    role_id   text NOT NULL REFERENCES role (id),
    PRIMARY KEY (invite_id, role_id)
);

--bun:split

CREATE INDEX invite_role_role_idx ON invite_role (role_id);

--bun:split

-- Every admin user could do everything before roles: they stay owners.
INSERT INTO user_role (user_id, role_id, created_at)
    SELECT id, 'role_owner', CURRENT_TIMESTAMP FROM "user" WHERE deleted_at IS NULL;

--bun:split

-- A deactivated user cannot sign in; reactivating clears it.
ALTER TABLE "user" ADD COLUMN deactivated_at TIMESTAMP;

--bun:split

-- Who revoked an invite, and when (revokeInvite); a revoked invite stays
-- listed as REVOKED until the housekeeping deletes it.
ALTER TABLE invite ADD COLUMN revoked_at TIMESTAMP;
