from . import test_premium_collection
