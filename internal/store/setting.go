package store

import (
	"context"
	"time"
)

// Setting returns the value stored under key, or CodeNotFound.
func (s *Store) Setting(ctx context.Context, key string) (string, error) {
	var r settingRow
	if err := s.db.NewSelect().Model(&r).Where("key = ?", key).Scan(ctx); err != nil {
		return "", dbError("load setting", "setting", err)
	}
	return r.Value, nil
}

// InitSetting stores value under key unless the key has a value, and
// returns the value stored. The insert yields to a row already there (ON
// CONFLICT DO NOTHING waits for a racing insert to commit), so every racer
// reads the first one's value.
func (s *Store) InitSetting(ctx context.Context, key, value string, now time.Time) (string, error) {
	_, err := s.db.NewInsert().
		Model(&settingRow{Key: key, Value: value, CreatedAt: now}).
		On("CONFLICT (key) DO NOTHING").
		Exec(ctx)
	if err != nil {
		return "", dbError("init setting", "setting", err)
	}
	return s.Setting(ctx, key)
}
