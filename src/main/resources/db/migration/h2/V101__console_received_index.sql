-- The operator console's dashboard counts the messages the connector received (inbound) by hour
-- and channel (issue 16): this index finds the window's inbound rows among every message's state
-- and holds the channel, so the count reads the index alone, whatever the table's size.
CREATE INDEX message_state_inbound_idx ON message_state (direction, created_at, channel);
