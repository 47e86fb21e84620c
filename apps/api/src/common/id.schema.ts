import { z } from 'zod';

/** Path ids of every resource (GameDays, runs, notes, tokens) are UUIDs. */
export const idSchema = z.uuid({ message: 'must be a UUID' });
