-- keycard 0.1.0 -> 0.2.0: every registry write through the executor.
--
-- Applied by ALTER EXTENSION keycard UPDATE TO '0.2.0'; test/suites/46-upgrade
-- proves a database upgraded this way has the schema of a fresh 0.2.0 install
-- and keeps its rows.
\echo Use "ALTER EXTENSION keycard UPDATE TO '0.2.0'" to load this file. \quit
