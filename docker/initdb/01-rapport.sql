-- Rapport's login role: not a superuser, may create the tenant roles, inherits none of their
-- rights (it reaches tenant tables only through SET LOCAL ROLE). Owns its database.
CREATE ROLE rapport LOGIN NOSUPERUSER NOINHERIT CREATEROLE PASSWORD 'rapport';
CREATE DATABASE rapport OWNER rapport;
