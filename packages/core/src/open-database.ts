import {
  type CreateDatabaseOptions,
  createDatabase,
  type WaygateDatabase,
} from "./database/create-database.js";
import { migrate } from "./migrate.js";

/** Opens the database and brings its schema up to date: the one call most services want. */
export async function openDatabase(options: CreateDatabaseOptions = {}): Promise<WaygateDatabase> {
  const db = await createDatabase(options);
  try {
    await migrate(db);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}
