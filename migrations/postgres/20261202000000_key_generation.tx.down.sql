DROP TABLE signing_key_generation;
