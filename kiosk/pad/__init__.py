"""The rating pad (评价器) at a window: 亮证 while idle, 好差评 when the server arms it."""
