/** A Bot API failure: becomes `{ ok: false, error_code, description, parameters? }` with the same HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly error_code: number,
    readonly description: string,
    readonly parameters?: { retry_after?: number; migrate_to_chat_id?: number },
  ) {
    super(description);
  }
}

export const badRequest = (what: string) => new ApiError(400, `Bad Request: ${what}`);

/** Telegram's wording for the common errors, so a test can match on the real text. */
export const TG = {
  unauthorized: () => new ApiError(401, 'Unauthorized'),
  methodNotFound: () => new ApiError(404, 'Not Found: method not found'),
  chatNotFound: () => badRequest('chat not found'),
  chatIdEmpty: () => badRequest('chat_id is empty'),
  blocked: () => new ApiError(403, 'Forbidden: bot was blocked by the user'),
  textEmpty: () => badRequest('message text is empty'),
  textTooLong: () => badRequest('message is too long'),
  notUtf8: () => badRequest('strings must be encoded in UTF-8'),
  captionTooLong: () => badRequest('message caption is too long'),
  editNotFound: () => badRequest('message to edit not found'),
  deleteNotFound: () => badRequest("message to delete not found"),
  cantEdit: () => badRequest("message can't be edited"),
  noTextToEdit: () => badRequest('there is no text in the message to edit'),
  notModified: () =>
    badRequest(
      'message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message',
    ),
  queryInvalid: () => badRequest('query is too old and response timeout expired or query ID is invalid'),
  tooManyRequests: (retryAfterSeconds: number) =>
    new ApiError(429, `Too Many Requests: retry after ${retryAfterSeconds}`, { retry_after: retryAfterSeconds }),
  conflict: () =>
    new ApiError(409, 'Conflict: terminated by other getUpdates request; make sure that only one bot instance is running'),
};
