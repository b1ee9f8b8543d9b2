-- Voice notes on a ticket (#16), kept by Telegram file_id beside its photos: `kind` says
-- which one a row is, so a worker is sent each with the right method (sendPhoto, sendVoice).
ALTER TABLE repair_photos ADD COLUMN kind TEXT NOT NULL DEFAULT 'photo';
