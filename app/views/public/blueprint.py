"""The fan pages' blueprint: everything under /s/. Routes live in sibling modules."""
from flask import Blueprint

fan_bp = Blueprint("fan", __name__, url_prefix="/s")
