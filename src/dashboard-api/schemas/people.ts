// API tokens, users, and who the caller is (sign-in, whoami).
import { z } from 'zod';
import { ROLES } from '../../storage/index.js';
import { pageLimit, scopeSchema, time } from './common.js';

export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export const tokenSchema = z.object({ id: z.string(), name: z.string(), role: roleSchema, scope: scopeSchema.optional(), createdAt: time }).meta({ id: 'Token' });
export type Token = z.infer<typeof tokenSchema>;
export const tokenCreatedSchema = tokenSchema.extend({ token: z.string().describe('shown only in this answer') });
export type TokenCreated = z.infer<typeof tokenCreatedSchema>;
export const newTokenSchema = z.strictObject({ name: z.string().trim().min(1).max(100), role: roleSchema, scope: scopeSchema.optional() });
export type NewToken = z.input<typeof newTokenSchema>;

export const userSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    name: z.string().describe('display name: what actions are credited to'),
    role: roleSchema,
    scope: scopeSchema.optional(),
    disabled: z.boolean(),
    createdAt: time,
    updatedAt: time,
  })
  .meta({ id: 'User' });
export type User = z.infer<typeof userSchema>;

const username = z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, 'letters, digits and . _ @ - (at most 64, starting with a letter or digit)');
const displayName = z.string().trim().min(1).max(100);
const password = z.string().min(10, 'at least 10 characters').max(256, 'at most 256 characters');

export const newUserSchema = z.strictObject({
  username, name: displayName, role: roleSchema, scope: scopeSchema.optional(), disabled: z.boolean().optional(), password,
});
export type NewUser = z.input<typeof newUserSchema>;
export const userUpdateSchema = z
  .strictObject({
    username: username.optional(), name: displayName.optional(), role: roleSchema.optional(),
    scope: scopeSchema.nullable().optional().describe('null removes the scope'), disabled: z.boolean().optional(), password: password.optional(),
  })
  .refine((u) => Object.keys(u).length > 0, 'name at least one field to change');
export type UserUpdate = z.input<typeof userUpdateSchema>;
export const userListQuery = z.strictObject({ limit: pageLimit, cursor: z.string().max(64).optional() });

export const whoamiSchema = z
  .object({
    name: z.string().describe('the token\'s name, or the signed-in person\'s display name'),
    role: roleSchema,
    scope: scopeSchema.optional(),
    userId: z.string().optional().describe('a signed-in person: their user id'),
    username: z.string().optional(),
  })
  .meta({ id: 'Principal' });
/** Who the caller is, as GET /api/whoami and a sign-in answer it. */
export type Whoami = z.infer<typeof whoamiSchema>;

export const signInSchema = z.strictObject({ username: z.string().trim().min(1).max(64), password: z.string().min(1).max(256) });
export type SignIn = z.input<typeof signInSchema>;
export const signedInSchema = z.object({ user: whoamiSchema, idleTimeoutS: z.number() });
export type SignedIn = z.infer<typeof signedInSchema>;
