"""Referral to the police unit's AVIM team: consent in the chat, reliable delivery."""
