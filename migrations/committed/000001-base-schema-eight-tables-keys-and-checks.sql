--! Previous: -
--! Hash: sha1:e66fb2b5e46ea1a2160ce5312c25b42c666c2b53
--! Message: base schema: eight tables, keys and checks

-- Base schema: the eight tables of the contacts / messaging / tasks backend.
-- Only primary keys, unique constraints and the lookups the app cannot work
-- without are indexed here: this is the honest "before" that the performance
-- index migrations improve on.

-- Extensions have one owner: this migration (IF NOT EXISTS makes it a no-op
-- where the Pulumi program already created them as superuser).
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TABLE IF NOT EXISTS phone_contacts (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  contact_name       text        NOT NULL CHECK (length(contact_name) BETWEEN 1 AND 200),
  email              text        CHECK (email IS NULL OR email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  phone_number       text        NOT NULL CHECK (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
  company            text,
  is_active          boolean     NOT NULL DEFAULT true,
  tags               text[]      NOT NULL DEFAULT '{}',
  metadata           jsonb       NOT NULL DEFAULT '{}'::jsonb,
  last_contacted_at  timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  CHECK (updated_at >= created_at)
);
-- Inbound calls and SMS arrive with a phone number: the app must resolve it
-- to a contact on every event.
CREATE UNIQUE INDEX IF NOT EXISTS idx_phone_contacts_phone_number ON phone_contacts (phone_number);

CREATE TABLE IF NOT EXISTS conversation_messages (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  contact_id  bigint      NOT NULL REFERENCES phone_contacts (id) ON DELETE CASCADE,
  direction   text        NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  channel     text        NOT NULL DEFAULT 'sms' CHECK (channel IN ('sms', 'whatsapp', 'email', 'voice')),
  content     text        NOT NULL,
  status      text        NOT NULL DEFAULT 'sent' CHECK (status IN ('queued', 'sent', 'delivered', 'read', 'failed')),
  metadata    jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS people (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name               text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  email              text        CHECK (email IS NULL OR email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$'),
  phone_contact_id   bigint      REFERENCES phone_contacts (id) ON DELETE SET NULL,
  relationship_type  text        NOT NULL DEFAULT 'acquaintance'
                       CHECK (relationship_type IN ('family', 'friend', 'colleague', 'client', 'vendor', 'acquaintance')),
  preferences        jsonb       NOT NULL DEFAULT '{}'::jsonb,
  notes              text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS scheduled_tasks (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  contact_id    bigint      REFERENCES phone_contacts (id) ON DELETE SET NULL,
  title         text        NOT NULL,
  description   text,
  status        text        NOT NULL DEFAULT 'pending'
                  CHECK (status IN ('pending', 'in_progress', 'completed', 'cancelled')),
  priority      smallint    NOT NULL DEFAULT 3 CHECK (priority BETWEEN 1 AND 5),
  due_at        timestamptz,
  completed_at  timestamptz,
  metadata      jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'completed') = (completed_at IS NOT NULL))
);

CREATE TABLE IF NOT EXISTS relationship_interactions (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  person_id         bigint      NOT NULL REFERENCES people (id) ON DELETE CASCADE,
  interaction_type  text        NOT NULL CHECK (interaction_type IN ('call', 'message', 'meeting', 'email', 'note')),
  interaction_date  timestamptz NOT NULL,
  sentiment         smallint    CHECK (sentiment BETWEEN -2 AND 2),
  notes             text,
  created_at        timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS workflow_triggers (
  id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name               text        NOT NULL,
  trigger_type       text        NOT NULL CHECK (trigger_type IN ('message_received', 'call_missed', 'task_due', 'schedule', 'contact_created')),
  is_active          boolean     NOT NULL DEFAULT true,
  conditions         jsonb       NOT NULL DEFAULT '{}'::jsonb,
  actions            jsonb       NOT NULL DEFAULT '[]'::jsonb,
  last_triggered_at  timestamptz,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS call_costs (
  id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  contact_id        bigint        REFERENCES phone_contacts (id) ON DELETE SET NULL,
  call_sid          text          NOT NULL,
  direction         text          NOT NULL CHECK (direction IN ('inbound', 'outbound')),
  billing_date      date          NOT NULL,
  duration_seconds  integer       NOT NULL CHECK (duration_seconds >= 0),
  cost              numeric(10,4) NOT NULL CHECK (cost >= 0),
  currency          char(3)       NOT NULL DEFAULT 'USD',
  created_at        timestamptz   NOT NULL DEFAULT now()
);
-- The telephony provider's call id: webhooks update a call's cost by it.
CREATE UNIQUE INDEX IF NOT EXISTS idx_call_costs_call_sid ON call_costs (call_sid);

CREATE TABLE IF NOT EXISTS calendar_events (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  title        text        NOT NULL,
  description  text,
  location     text,
  start_time   timestamptz NOT NULL,
  end_time     timestamptz NOT NULL,
  contact_id   bigint      REFERENCES phone_contacts (id) ON DELETE SET NULL,
  person_id    bigint      REFERENCES people (id) ON DELETE SET NULL,
  metadata     jsonb       NOT NULL DEFAULT '{}'::jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  updated_at   timestamptz NOT NULL DEFAULT now(),
  CHECK (end_time >= start_time)
);
