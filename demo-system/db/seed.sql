CREATE ROLE demo LOGIN;
CREATE DATABASE demo OWNER demo;
\connect demo
CREATE TABLE users (
  id       serial PRIMARY KEY,
  name     text NOT NULL,
  nickname text NOT NULL
);
INSERT INTO users (name, nickname) VALUES ('joe', 'cool');
ALTER TABLE users OWNER TO demo;
