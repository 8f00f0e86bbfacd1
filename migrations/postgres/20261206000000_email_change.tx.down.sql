DROP TABLE email_change;
