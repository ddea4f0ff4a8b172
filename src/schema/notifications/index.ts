// The notifications area: the development mailbox query.
import './mailbox.ts';
