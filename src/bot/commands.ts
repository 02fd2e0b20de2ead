/** The command menu registered with setMyCommands; /help prints the same list. */
export const TRADER_COMMANDS = [
  { command: 'start', description: 'Start here: what the bot does and the next step' },
  { command: 'connect', description: 'Connect an exchange account or a paper account' },
  { command: 'accounts', description: 'List or remove your accounts' },
  { command: 'positions', description: 'Open positions as a table, a button each' },
  { command: 'balance', description: 'Balances of your accounts' },
  { command: 'trades', description: 'Recent closed trades: /trades 10' },
  { command: 'pnl', description: 'Win rate, profit factor and P&L: /pnl week' },
  { command: 'daily', description: 'P&L per day, like Freqtrade: /daily 7' },
  { command: 'performance', description: 'P&L per pair over all closed trades' },
  { command: 'signals', description: 'Recent signals and what happened to each' },
  { command: 'settings', description: 'Risk and exit settings' },
  { command: 'signal', description: 'Your own signal: /signal BTC/USDT buy sl 62000 tp 66000 (or paste a channel post)' },
  { command: 'webhook', description: 'Your TradingView webhook URL and alert template' },
  { command: 'pause', description: 'Stop opening new positions (open ones stay protected)' },
  { command: 'resume', description: 'Resume opening new positions' },
  { command: 'cancel', description: 'Leave the current dialog' },
  { command: 'help', description: 'All commands' },
] as const;

export const ADMIN_COMMANDS = [
  { command: 'status', description: 'Admin: uptime, traders, positions, health' },
  { command: 'users', description: 'Admin: list traders' },
] as const;
