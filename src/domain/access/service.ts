// What other areas use of access: who a recorded actor is (people.ts and tokens.ts hold the rest).
export { personIdByLogin } from './people';
