/** Messages of the people area of the auth plugin; keys are used as `auth.<key>`. */
export default {} satisfies Record<string, string>
