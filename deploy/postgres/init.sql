-- Runs once, when the postgres container initialises an empty data volume
-- (docker-entrypoint-initdb.d), as the superuser from POSTGRES_USER.
-- Change these passwords for anything but a local stack, here and in docker-compose.yml.

-- Order Hub's own database: the `orderhub` role owns it, so knex migrations run as the owner.
CREATE ROLE orderhub WITH LOGIN PASSWORD 'orderhub';
CREATE DATABASE order_hub OWNER orderhub;

-- Temporal's persistence and visibility stores. The temporal service runs with
-- SKIP_DB_CREATE=true: auto-setup only creates and upgrades the schemas inside them.
CREATE ROLE temporal WITH LOGIN PASSWORD 'temporal';
CREATE DATABASE temporal OWNER temporal;
CREATE DATABASE temporal_visibility OWNER temporal;

-- pgcrypto (gen_random_uuid and friends) for the app; the first migration also asks for it.
\connect order_hub
CREATE EXTENSION IF NOT EXISTS pgcrypto;
