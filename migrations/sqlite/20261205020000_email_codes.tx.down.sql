DROP TABLE email_code;
