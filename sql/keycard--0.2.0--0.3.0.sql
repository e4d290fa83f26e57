-- keycard 0.2.0 -> 0.3.0
--
-- Applied by ALTER EXTENSION keycard UPDATE TO '0.3.0'; test/suites/46-upgrade
-- proves a database upgraded this way (from 0.2.0, and from 0.1.0 through
-- 0.2.0) has the schema of a fresh 0.3.0 install and keeps its rows.
\echo Use "ALTER EXTENSION keycard UPDATE TO '0.3.0'" to load this file. \quit
