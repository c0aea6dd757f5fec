/**
 * Passwords that attackers try first (from public lists of the most used passwords), refused even when
 * long enough. Compared in lower case.
 */
export const COMMON_PASSWORDS = new Set([
  '1234567890', '12345678910', '123456789a', '1234567890a', '0123456789', '0987654321', '1111111111',
  '1q2w3e4r5t', '1qaz2wsx3edc', 'qwertyuiop', 'qwertyuiop1', 'qwerty1234', 'qwerty12345', 'asdfghjkl1',
  'zxcvbnm123', 'password12', 'password123', 'password1234', 'passw0rd123', 'password01', 'password!!',
  'iloveyou12', 'iloveyou123', 'letmein123', 'welcome123', 'welcome1234', 'welcome2024', 'welcome2025',
  'welcome2026', 'changeme123', 'administrator', 'admin12345', 'admin123456', 'football123', 'baseball123',
  'basketball', 'sunshine123', 'princess123', 'dragon1234', 'monkey1234', 'master1234', 'superman123',
  'starwars123', 'trustno1234', 'computer123', 'whatever123', 'freedom123', 'michael123', 'jennifer123',
  'charlie123', 'shadow1234', 'abcdefghij', 'abcd123456', 'abc1234567', 'a123456789', 'aaaaaaaaaa',
  'qazwsxedcrfv', 'zaq12wsxcde', '!qaz2wsx3edc', 'p@ssw0rd123', 'p@ssword123', 'summer2024', 'summer2025',
  'summer2026', 'winter2024', 'winter2025', 'winter2026', 'spring2025', 'autumn2025', 'company123',
  'employee123', 'kaiku12345', 'kaikukaiku', 'advocacy123', 'secret1234', 'secret12345', 'mypassword',
  'mypassword1', 'newpassword', 'newpassword1', 'passpass12', 'testtest12', 'test123456', 'qwerty123456',
  'helloworld', 'helloworld1', 'loveyou1234', 'pokemon123', 'minecraft1', 'liverpool1', 'chelsea123',
  'arsenal123', 'juventus12', 'barcelona1', 'internet12', 'samsung123', 'iphone1234', 'google1234'
])
